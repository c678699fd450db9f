/* The Linux arm64 load check of `cargo xtask package` (run under qemu-user): loads the extension the way
 * Godot does, with every symbol resolved at once (so libsteam_api.so must be found through the library's
 * $ORIGIN run path), and looks up the GDExtension entry symbol. Usage: loader LIBRARY SYMBOL */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: loader LIBRARY SYMBOL\n");
        return 2;
    }
    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        fprintf(stderr, "dlopen failed: %s\n", dlerror());
        return 1;
    }
    void *entry = dlsym(library, argv[2]);
    if (entry == NULL) {
        fprintf(stderr, "dlsym failed: %s\n", dlerror());
        return 1;
    }
    printf("loaded: %s at %p\n", argv[2], entry);
    return 0;
}
