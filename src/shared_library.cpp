// libwisp.so's own source: everything in it comes from the `wisp` archive, linked whole.
