package org.peft4j.examples.data;

import java.io.IOException;

/**
 * A data file that cannot be read as labelled text. The message has the form
 * {@code <file>:<line>: <problem>} (or {@code <file>: <problem>} when the problem concerns the
 * whole file), e.g. {@code data/train.jsonl:17: missing field "label"}.
 */
public final class DataFormatException extends IOException {

  private static final long serialVersionUID = 1L;

  private final String source;
  private final long line;
  private final String problem;

  /**
   * @param source  the file (or classpath resource) that was read
   * @param line    1-based line where the offending record starts; 0 when the whole file is at fault
   * @param problem what is wrong, naming the field and, where there are any, the allowed values
   */
  public DataFormatException(String source, long line, String problem) {
    super(line > 0 ? source + ":" + line + ": " + problem : source + ": " + problem);
    this.source = source;
    this.line = line;
    this.problem = problem;
  }

  /** The file (or classpath resource) that was read. */
  public String source() {
    return source;
  }

  /** 1-based line where the offending record starts; 0 when the whole file is at fault. */
  public long line() {
    return line;
  }

  /** The problem without the location prefix. */
  public String problem() {
    return problem;
  }
}
