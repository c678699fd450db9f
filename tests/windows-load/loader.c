/* Loads a GDExtension DLL the way Godot's Windows editor does (LoadLibraryExW with the DLL's own folder searched
 * for its dependencies) and resolves its entry symbol. Built with MinGW by `cargo xtask package` and run under
 * Wine: exit code 0 and "loaded" only when both succeed. */
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: loader.exe <dll> <entry symbol>\n");
        return 2;
    }
    wchar_t path[MAX_PATH];
    MultiByteToWideChar(CP_UTF8, 0, argv[1], -1, path, MAX_PATH);
    HMODULE module = LoadLibraryExW(path, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    if (module == NULL) {
        printf("LoadLibraryExW failed with error %lu\n", GetLastError());
        return 1;
    }
    FARPROC entry = GetProcAddress(module, argv[2]);
    if (entry == NULL) {
        printf("GetProcAddress(%s) failed with error %lu\n", argv[2], GetLastError());
        return 1;
    }
    printf("loaded: %s exports %s\n", argv[1], argv[2]);
    fflush(stdout);
    /* Exit without unloading: the library's own teardown expects Godot, which never initialised it. */
    ExitProcess(0);
}
