//! LZO1X decompression and compression (spec/oncp.md §8).
