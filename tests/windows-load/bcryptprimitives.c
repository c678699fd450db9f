/* Load check only, never shipped: Wine 8 (Debian bookworm) lacks bcryptprimitives.dll, which Rust's standard
 * library imports for ProcessPrng on Windows 10 and later, where the real DLL always exists. This stand-in
 * answers from RtlGenRandom (advapi32's SystemFunction036) so the DLL under test can load. */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
