// libclipkit.so (cmake/install.cmake) is every layer's static library linked whole, with
// only clipkit's own symbols exported (cmake/libclipkit.map). CMake needs a source file
// for a library target; the code is all in the layers.
