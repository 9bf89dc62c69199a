package org.peft4j.examples.data;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the raw fields of one record into a {@link LabelledText}, or fails with the file and line:
 * the one place where the rules for a record live (text and label present and not blank, label
 * among the allowed ones, ids unique).
 */
final class RecordValidator {

  private final String source;
  private final List<String> allowedLabels;
  private final Map<String, Long> lineOfId = new HashMap<>();

  /** {@code allowedLabels} null means any label is accepted. */
  RecordValidator(String source, List<String> allowedLabels) {
    this.source = source;
    this.allowedLabels = allowedLabels;
  }

  String source() {
    return source;
  }

  /**
   * @param line  1-based line where the record starts
   * @param id    null when the record has none; {@code "line-<line>"} is used then
   * @param text  null when the field is missing
   * @param label null when the field is missing
   * @param group null or blank for none
   * @param split null or blank for none
   */
  LabelledText toItem(long line, String id, String text, String label, String group, String split)
      throws DataFormatException {
    if (text == null) {
      throw error(line, "missing field \"text\"");
    }
    if (label == null) {
      throw error(line, "missing field \"label\"");
    }
    if (text.isBlank()) {
      throw error(line, "empty text");
    }
    String cleanLabel = label.strip();
    if (cleanLabel.isEmpty()) {
      throw error(line, "empty label");
    }
    if (allowedLabels != null && !allowedLabels.contains(cleanLabel)) {
      throw error(line, "unknown label \"" + cleanLabel + "\" (allowed: " + String.join(", ", allowedLabels) + ")");
    }
    String cleanId = id == null || id.isBlank() ? "line-" + line : id.strip();
    Long first = lineOfId.putIfAbsent(cleanId, line);
    if (first != null) {
      throw error(line, "duplicate id \"" + cleanId + "\" (first on line " + first + ")");
    }
    return new LabelledText(cleanId, text, cleanLabel, blankToNull(group), blankToNull(split));
  }

  DataFormatException error(long line, String problem) {
    return new DataFormatException(source, line, problem);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }
}
