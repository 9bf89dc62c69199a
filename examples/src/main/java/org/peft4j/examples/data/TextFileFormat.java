package org.peft4j.examples.data;

import java.util.Locale;

/** The file formats {@link LabelledTextSet#load} reads, chosen by file name extension. */
enum TextFileFormat {
  /** One JSON object per line ({@code .jsonl}, {@code .ndjson}). */
  JSON_LINES,
  /** Comma-separated values with a header row, RFC 4180 quoting ({@code .csv}). */
  CSV;

  static TextFileFormat ofFileName(String source) throws DataFormatException {
    String name = source.toLowerCase(Locale.ROOT);
    if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
      return JSON_LINES;
    }
    if (name.endsWith(".csv")) {
      return CSV;
    }
    throw new DataFormatException(source, 0, "unsupported file extension (allowed: .jsonl, .ndjson, .csv)");
  }
}
