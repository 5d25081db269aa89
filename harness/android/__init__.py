"""Pure parsers: device output text in, typed records out. No I/O, no Device."""
