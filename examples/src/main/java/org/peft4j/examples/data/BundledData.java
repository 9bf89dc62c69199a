package org.peft4j.examples.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The data set that ships with the repository: {@code examples/data/spam-assassin.jsonl}, 5,881
 * e-mails of the SpamAssassin public corpus labelled {@code ham} / {@code spam}, with a fixed
 * train / validation / test split (see {@code examples/data/README.md} for fields, counts and
 * licences).
 *
 * <p>Where the file is looked for, in order:
 * <ol>
 *   <li>if the system property {@value #DATA_DIR_PROPERTY} is set: only in that folder;</li>
 *   <li>{@code examples/data/} and {@code data/} under the working directory and under each
 *       folder above it (so it is found from the repository root, from {@code examples/} and from
 *       any folder inside the repository);</li>
 *   <li>the classpath resource {@value #SPAM_ASSASSIN_RESOURCE} (the examples jar carries it).</li>
 * </ol>
 */
public final class BundledData {

  /** System property naming a folder that holds {@value #SPAM_ASSASSIN_FILE}. */
  public static final String DATA_DIR_PROPERTY = "peft4j.data.dir";
  /** File name of the bundled corpus. */
  public static final String SPAM_ASSASSIN_FILE = "spam-assassin.jsonl";
  /** Classpath location of the bundled corpus when the examples jar is used. */
  public static final String SPAM_ASSASSIN_RESOURCE = "org/peft4j/examples/data/" + SPAM_ASSASSIN_FILE;
  /** The corpus labels, in class-index order: ham = 0, spam = 1. */
  public static final List<String> SPAM_ASSASSIN_LABELS = List.of("ham", "spam");

  private BundledData() {}

  /**
   * Loads the bundled SpamAssassin corpus with the vocabulary {@link #SPAM_ASSASSIN_LABELS}.
   *
   * @throws FileNotFoundException if it is neither on disk nor on the classpath; the message lists
   *                               every place looked in
   * @throws DataFormatException   if the file found is damaged
   */
  public static LabelledTextSet spamAssassin() throws IOException {
    return spamAssassin(System.getProperty(DATA_DIR_PROPERTY), workingDirectory(), BundledData.class.getClassLoader());
  }

  /** The bundled corpus file on disk, if one is found (the classpath copy is not a file). */
  public static Optional<Path> spamAssassinFile() {
    return candidateFiles(System.getProperty(DATA_DIR_PROPERTY), workingDirectory()).stream()
        .filter(Files::isRegularFile).findFirst();
  }

  /** {@link #spamAssassin()} with its inputs explicit: {@code dataDir} may be null, {@code classLoader} too. */
  static LabelledTextSet spamAssassin(String dataDir, Path workingDirectory, ClassLoader classLoader)
      throws IOException {
    List<Path> candidates = candidateFiles(dataDir, workingDirectory);
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate)) {
        return LabelledTextSet.load(candidate, SPAM_ASSASSIN_LABELS);
      }
    }
    boolean useClasspath = dataDir == null && classLoader != null;
    if (useClasspath) {
      try (InputStream in = classLoader.getResourceAsStream(SPAM_ASSASSIN_RESOURCE)) {
        if (in != null) {
          return LabelledTextSet.parse(in.readAllBytes(), "classpath:" + SPAM_ASSASSIN_RESOURCE,
              TextFileFormat.JSON_LINES, SPAM_ASSASSIN_LABELS);
        }
      }
    }
    StringBuilder message = new StringBuilder(SPAM_ASSASSIN_FILE + " not found; looked in:");
    for (Path candidate : candidates) {
      message.append("\n  ").append(candidate);
    }
    if (useClasspath) {
      message.append("\n  classpath:").append(SPAM_ASSASSIN_RESOURCE);
    }
    message.append("\nRun from inside the peft4j repository, put the examples jar on the classpath, or set -D")
        .append(DATA_DIR_PROPERTY).append("=<folder holding ").append(SPAM_ASSASSIN_FILE).append('>');
    throw new FileNotFoundException(message.toString());
  }

  /** Where the file may be, in the order tried. */
  static List<Path> candidateFiles(String dataDir, Path workingDirectory) {
    List<Path> candidates = new ArrayList<>();
    if (dataDir != null) {
      candidates.add(Path.of(dataDir).toAbsolutePath().normalize().resolve(SPAM_ASSASSIN_FILE));
      return candidates;
    }
    for (Path dir = workingDirectory.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
      candidates.add(dir.resolve("examples").resolve("data").resolve(SPAM_ASSASSIN_FILE));
      candidates.add(dir.resolve("data").resolve(SPAM_ASSASSIN_FILE));
    }
    return candidates;
  }

  private static Path workingDirectory() {
    return Path.of(System.getProperty("user.dir"));
  }
}
