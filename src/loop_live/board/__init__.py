"""The live board (SPEC §14): a page and a little JavaScript, served by the service itself."""
