"""The App IR: plain frozen data both modes, OpenAPI and the compiler read (`nodes`), and the
route trie tables built from it (`trie`). Imports nothing of the app, serving or the compiler."""
