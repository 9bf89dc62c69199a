package org.peft4j.examples.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads JSON Lines: one JSON object per line with the string fields {@code text} and
 * {@code label} and the optional fields {@code id} (string or number), {@code group} and
 * {@code split}; other fields are ignored, blank lines are skipped. Each line is parsed strictly
 * (RFC 8259: no comments, no unquoted names, nothing after the object).
 */
final class JsonLinesReader {

  private JsonLinesReader() {}

  static List<LabelledText> read(String content, RecordValidator validator) throws DataFormatException {
    List<LabelledText> items = new ArrayList<>();
    int start = 0;
    long line = 0;
    while (start < content.length()) {
      int end = content.indexOf('\n', start);
      if (end < 0) {
        end = content.length();
      }
      line++;
      String row = content.substring(start, end);
      start = end + 1;
      if (row.isBlank()) {
        continue;
      }
      JsonObject object = parseObject(row, line, validator);
      items.add(validator.toItem(line,
          optionalString(object, "id", line, validator, true),
          optionalString(object, "text", line, validator, false),
          optionalString(object, "label", line, validator, false),
          optionalString(object, "group", line, validator, false),
          optionalString(object, "split", line, validator, false)));
    }
    return items;
  }

  private static JsonObject parseObject(String row, long line, RecordValidator validator) throws DataFormatException {
    JsonReader reader = new JsonReader(new StringReader(row));
    reader.setStrictness(Strictness.STRICT);
    JsonElement element;
    try {
      element = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw validator.error(line, "malformed JSON: more than one value on the line");
      }
    } catch (JsonParseException | IOException e) {
      throw validator.error(line, "malformed JSON: " + describe(e));
    }
    if (!element.isJsonObject()) {
      throw validator.error(line, "malformed JSON: expected an object {\"text\": ..., \"label\": ...}");
    }
    return element.getAsJsonObject();
  }

  /** The parser's own explanation, without its troubleshooting link and with our line numbering. */
  private static String describe(Exception e) {
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    int link = message.indexOf("\nSee ");
    if (link >= 0) {
      message = message.substring(0, link);
    }
    message = message.replaceFirst(" at line 1 column (\\d+)", " at column $1");
    // the parser's advice to relax strictness is not the user's remedy: say what strict JSON requires
    String lenientAdvice = "Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON";
    if (message.startsWith(lenientAdvice)) {
      message = "not strict JSON (names and strings need double quotes; no comments, single quotes or trailing commas)"
          + message.substring(lenientAdvice.length());
    }
    return message;
  }

  /** Returns null when the field is absent or JSON null; numbers are accepted only where {@code numberAllowed}. */
  private static String optionalString(JsonObject object, String field, long line, RecordValidator validator,
      boolean numberAllowed) throws DataFormatException {
    JsonElement value = object.get(field);
    if (value == null || value.isJsonNull()) {
      return null;
    }
    if (value.isJsonPrimitive()) {
      JsonPrimitive primitive = value.getAsJsonPrimitive();
      if (primitive.isString() || (numberAllowed && primitive.isNumber())) {
        return primitive.getAsString();
      }
    }
    throw validator.error(line, "field \"" + field + "\" must be a " + (numberAllowed ? "string or number" : "string")
        + ", found " + value);
  }
}
