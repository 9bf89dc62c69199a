package org.peft4j.examples.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads comma-separated values as RFC 4180 describes them: a header row naming the columns
 * ({@code text} and {@code label} required, {@code id}, {@code group}, {@code split} optional,
 * names matched without regard to case, other columns ignored); fields may be enclosed in double
 * quotes, and a quoted field may hold commas, line breaks and doubled quotes ({@code ""}).
 * Lines end in CRLF or LF; empty lines are skipped. Errors name the line where the record starts.
 */
final class CsvReader {

  private static final List<String> KNOWN_COLUMNS = List.of("text", "label", "id", "group", "split");

  private CsvReader() {}

  private record Row(long line, List<String> fields) {}

  static List<LabelledText> read(String content, RecordValidator validator) throws DataFormatException {
    List<Row> rows = parseRows(content, validator);
    if (rows.isEmpty()) {
      throw validator.error(0, "empty file; expected a header row with the columns text,label");
    }
    Row header = rows.get(0);
    Map<String, Integer> column = new HashMap<>();
    for (int i = 0; i < header.fields().size(); i++) {
      String name = header.fields().get(i).strip().toLowerCase(Locale.ROOT);
      if (KNOWN_COLUMNS.contains(name) && column.putIfAbsent(name, i) != null) {
        throw validator.error(header.line(), "duplicate column \"" + name + "\" in the header");
      }
    }
    for (String required : List.of("text", "label")) {
      if (!column.containsKey(required)) {
        throw validator.error(header.line(), "missing column \"" + required + "\" in the header (found: "
            + String.join(", ", header.fields()) + ")");
      }
    }
    List<LabelledText> items = new ArrayList<>();
    for (Row row : rows.subList(1, rows.size())) {
      if (row.fields().size() != header.fields().size()) {
        throw validator.error(row.line(), "expected " + header.fields().size() + " fields as in the header ("
            + String.join(", ", header.fields()) + "), found " + row.fields().size());
      }
      items.add(validator.toItem(row.line(), cell(row, column, "id"), cell(row, column, "text"),
          cell(row, column, "label"), cell(row, column, "group"), cell(row, column, "split")));
    }
    return items;
  }

  private static String cell(Row row, Map<String, Integer> column, String name) {
    Integer index = column.get(name);
    return index == null ? null : row.fields().get(index);
  }

  private static List<Row> parseRows(String s, RecordValidator validator) throws DataFormatException {
    List<Row> rows = new ArrayList<>();
    int n = s.length();
    int pos = 0;
    long line = 1;
    while (pos < n) {
      long rowLine = line;
      if (s.charAt(pos) == '\n' || s.startsWith("\r\n", pos)) {
        pos += s.charAt(pos) == '\n' ? 1 : 2; // empty line
        line++;
        continue;
      }
      List<String> fields = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean rowDone = false;
      while (!rowDone) {
        field.setLength(0);
        if (pos < n && s.charAt(pos) == '"') {
          long quoteLine = line;
          pos++;
          while (true) {
            if (pos >= n) {
              throw validator.error(quoteLine, "unterminated quoted field (a field that starts with \" must end with \")");
            }
            char c = s.charAt(pos);
            if (c == '"') {
              if (pos + 1 < n && s.charAt(pos + 1) == '"') {
                field.append('"');
                pos += 2;
                continue;
              }
              pos++;
              break;
            }
            if (c == '\n') {
              line++;
            }
            field.append(c);
            pos++;
          }
          if (pos < n && s.charAt(pos) != ',' && s.charAt(pos) != '\n' && !s.startsWith("\r\n", pos)) {
            throw validator.error(line, "unexpected character '" + s.charAt(pos) + "' after a closing quote");
          }
        } else {
          while (pos < n && s.charAt(pos) != ',' && s.charAt(pos) != '\n' && !s.startsWith("\r\n", pos)) {
            if (s.charAt(pos) == '"') {
              throw validator.error(line, "quote inside an unquoted field (enclose the field in quotes and double the inner quote)");
            }
            field.append(s.charAt(pos));
            pos++;
          }
        }
        fields.add(field.toString());
        if (pos >= n) {
          rowDone = true;
        } else if (s.charAt(pos) == ',') {
          pos++;
        } else {
          pos += s.charAt(pos) == '\n' ? 1 : 2;
          line++;
          rowDone = true;
        }
      }
      rows.add(new Row(rowLine, fields));
    }
    return rows;
  }
}
