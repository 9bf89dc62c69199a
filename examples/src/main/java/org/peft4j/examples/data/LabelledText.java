package org.peft4j.examples.data;

import java.util.Objects;

/**
 * One labelled text of a classification data set.
 *
 * @param id    identifier, unique within its file; files without an id give {@code "line-<n>"}
 * @param text  the text to classify; never blank
 * @param label the class name, e.g. {@code "spam"}; never blank
 * @param group where the item comes from (e.g. a corpus group such as {@code "easy-ham-1"}), or null
 * @param split {@code "train"}, {@code "validation"}, {@code "test"} or another split name, or null when unsplit
 */
public record LabelledText(String id, String text, String label, String group, String split) {

  /** Checks that id, text and label are present and that text and label are not blank. */
  public LabelledText {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(label, "label");
    if (text.isBlank()) {
      throw new IllegalArgumentException("text of item \"" + id + "\" is blank");
    }
    if (label.isBlank()) {
      throw new IllegalArgumentException("label of item \"" + id + "\" is blank");
    }
  }

  /** This item with its split replaced by {@code newSplit} (null for none). */
  public LabelledText withSplit(String newSplit) {
    return new LabelledText(id, text, label, group, newSplit);
  }
}
