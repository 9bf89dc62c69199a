package org.peft4j.examples.data;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes a whole file as UTF-8, refusing malformed bytes instead of replacing them with U+FFFD,
 * so that a file in another encoding fails loudly with the line of its first bad byte.
 */
final class StrictUtf8Decoder {

  private StrictUtf8Decoder() {}

  /** Returns the text without a leading byte order mark. */
  static String decode(byte[] bytes, String source) throws DataFormatException {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    // UTF-8 never yields more UTF-16 units than input bytes
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      int offset = in.position();
      throw new DataFormatException(source, lineOfByte(bytes, offset), String.format(
          "invalid UTF-8 (byte 0x%02X at byte offset %d); save the file as UTF-8",
          bytes[offset] & 0xFF, offset));
    }
    out.flip();
    String text = out.toString();
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  private static long lineOfByte(byte[] bytes, int offset) {
    long line = 1;
    for (int i = 0; i < offset; i++) {
      if (bytes[i] == '\n') {
        line++;
      }
    }
    return line;
  }
}
