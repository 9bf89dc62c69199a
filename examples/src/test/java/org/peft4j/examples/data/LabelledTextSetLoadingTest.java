package org.peft4j.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading JSON Lines and CSV files, and the file:line messages of every kind of bad input. */
class LabelledTextSetLoadingTest {

  private static final List<String> HAM_SPAM = List.of("ham", "spam");

  private static Path resource(String name) throws URISyntaxException {
    return Path.of(LabelledTextSetLoadingTest.class.getResource("/data/" + name).toURI());
  }

  /** Loads {@code name} expecting failure and returns the message. */
  private static String failureOf(String name, List<String> allowedLabels) throws URISyntaxException {
    Path file = resource(name);
    DataFormatException e = assertThrows(DataFormatException.class, () -> LabelledTextSet.load(file, allowedLabels));
    assertTrue(e.getMessage().startsWith(file + ":"), () -> "message should start with the file: " + e.getMessage());
    return e.getMessage().substring(file.toString().length());
  }

  @Test
  void missingLabelFieldNamesFileLineAndField() throws Exception {
    assertEquals(":2: missing field \"label\"", failureOf("missing-label.jsonl", null));
  }

  @Test
  void blankTextIsRejectedWithItsLineCountingBlankLines() throws Exception {
    // line 2 is blank and skipped, but still counted: the bad record is on line 3
    assertEquals(":3: empty text", failureOf("empty-text.jsonl", null));
  }

  @Test
  void invalidUtf8IsReportedNotReplaced() throws Exception {
    // line 2 holds "Caf\xE9": ISO-8859-1 e-acute, not valid UTF-8; 61 = 48 bytes of line 1 + 13 of line 2
    assertEquals(":2: invalid UTF-8 (byte 0xE9 at byte offset 61); save the file as UTF-8",
        failureOf("invalid-utf8.jsonl", null));
  }

  @Test
  void labelOutsideAllowedOnesListsTheAllowedLabels() throws Exception {
    assertEquals(":3: unknown label \"eggs\" (allowed: ham, spam)", failureOf("unknown-label.jsonl", HAM_SPAM));
  }

  @Test
  void anyLabelIsAcceptedWhenNoneAreImposed() throws Exception {
    LabelledTextSet set = LabelledTextSet.load(resource("unknown-label.jsonl"));
    assertEquals(List.of("eggs", "ham", "spam"), set.labels());
  }

  @Test
  void truncatedJsonObjectIsMalformedJsonOnItsLine() throws Exception {
    String message = failureOf("malformed.jsonl", null);
    assertTrue(message.startsWith(":2: malformed JSON: End of input at column 55"), message);
  }

  @Test
  void unquotedFieldNameIsMalformedJsonBecauseParsingIsStrict() throws Exception {
    String message = failureOf("unquoted-name.jsonl", null);
    assertTrue(message.startsWith(":1: malformed JSON: not strict JSON (names and strings need double quotes"), message);
    assertTrue(message.contains(" at column 3"), message);
  }

  @Test
  void repeatedIdNamesBothLines() throws Exception {
    assertEquals(":3: duplicate id \"a\" (first on line 1)", failureOf("duplicate-id.jsonl", null));
  }

  @Test
  void optionalJsonFieldsMayBeAbsentNullOrNumericId() throws Exception {
    List<LabelledText> items = LabelledTextSet.load(resource("optional-fields.jsonl")).items();
    assertEquals(new LabelledText("7", "Numeric ids are read as text", "spam", "inbox", "train"), items.get(0));
    assertEquals(new LabelledText("line-2", "No id, group or split", "ham", null, null), items.get(1));
    assertNull(items.get(2).group());
    assertEquals("test", items.get(2).split());
  }

  @Test
  void csvQuotedCommaEmbeddedNewlineAndDoubledQuoteAreParsed() throws Exception {
    List<LabelledText> items = LabelledTextSet.load(resource("quoted.csv"), HAM_SPAM).items();
    assertEquals(3, items.size());
    assertEquals(new LabelledText("1", "Hello, world", "ham", null, null), items.get(0));
    assertEquals("Line one\r\nline two", items.get(1).text());
    assertEquals("She said \"hi\"", items.get(2).text());
  }

  @Test
  void csvErrorLineCountsNewlinesInsideQuotedFields() throws Exception {
    // records start on lines 2 and 3; the one on line 3 spans two lines, so the bad one is on line 5
    assertEquals(":5: empty label", failureOf("quoted-bad.csv", HAM_SPAM));
  }

  @Test
  void csvUnterminatedQuoteNamesTheLineWhereTheQuoteOpened() throws Exception {
    String message = failureOf("unterminated-quote.csv", HAM_SPAM);
    assertTrue(message.startsWith(":3: unterminated quoted field"), message);
  }

  @Test
  void csvHeaderWithoutTextColumnListsTheColumnsFound() throws Exception {
    assertEquals(":1: missing column \"text\" in the header (found: body, label)", failureOf("missing-column.csv", null));
  }

  @Test
  void csvRowWithExtraFieldIsRejected() throws Exception {
    assertEquals(":3: expected 2 fields as in the header (text, label), found 3", failureOf("field-count.csv", null));
  }

  @Test
  void unsupportedExtensionIsRejectedNamingTheAllowedOnes() {
    Path file = Path.of("labels.txt");
    DataFormatException e = assertThrows(DataFormatException.class, () -> LabelledTextSet.load(file));
    assertEquals("labels.txt: unsupported file extension (allowed: .jsonl, .ndjson, .csv)", e.getMessage());
    assertEquals(0, e.line());
  }

  @Test
  void allowedLabelsFixTheClassIndexOrder() throws Exception {
    LabelledTextSet set = LabelledTextSet.load(resource("quoted.csv"), List.of("spam", "ham"));
    assertEquals(List.of("spam", "ham"), set.labels());
    assertEquals(0, set.labelIndex("spam"));
    assertEquals(1, set.labelIndex("ham"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set.labelIndex("eggs"));
    assertEquals("unknown label \"eggs\" (labels: spam, ham)", e.getMessage());
  }
}
