package org.peft4j.examples.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An immutable, ordered list of {@link LabelledText} items with a fixed label vocabulary.
 *
 * <p>The vocabulary ({@link #labels()}) maps each label to a class index
 * ({@link #labelIndex(String)}), the row of a classifier head's output {@code [batch, labels]}.
 * Every set derived from this one ({@link #split}, {@link #shuffled}, {@link #limit},
 * {@link #stratifiedSplit}, {@link #stratifiedSample}) keeps the same vocabulary, even when some
 * label no longer occurs in it, so that class indices agree between train and test.
 *
 * <p>All randomness is seeded ({@link SplittableRandom}): the same seed gives the same result on
 * every machine and Java version.
 */
public final class LabelledTextSet {

  private final List<LabelledText> items;
  private final List<String> labels;

  private LabelledTextSet(List<LabelledText> items, List<String> labels) {
    this.items = List.copyOf(items);
    this.labels = List.copyOf(labels);
  }

  /**
   * A set of the given items with the given label vocabulary.
   *
   * @throws IllegalArgumentException if {@code labels} is empty, holds a blank or repeated label,
   *                                  or an item's label is not in it
   */
  public static LabelledTextSet of(List<LabelledText> items, List<String> labels) {
    checkVocabulary(labels);
    for (LabelledText item : items) {
      if (!labels.contains(item.label())) {
        throw new IllegalArgumentException("item \"" + item.id() + "\" has unknown label \"" + item.label()
            + "\" (allowed: " + String.join(", ", labels) + ")");
      }
    }
    return new LabelledTextSet(items, labels);
  }

  /** A set of the given items whose vocabulary is their distinct labels in sorted order. */
  public static LabelledTextSet of(List<LabelledText> items) {
    if (items.isEmpty()) {
      throw new IllegalArgumentException("no items: the label vocabulary cannot be inferred from an empty list");
    }
    return new LabelledTextSet(items, sortedLabels(items));
  }

  /**
   * Reads a UTF-8 file of labelled texts; the vocabulary is the labels found, sorted.
   *
   * <ul>
   *   <li>{@code .jsonl} / {@code .ndjson}: one JSON object per line with string fields
   *       {@code text} and {@code label}, optional {@code id} (string or number), {@code group},
   *       {@code split}; other fields are ignored; blank lines are skipped.</li>
   *   <li>{@code .csv}: a header row with the columns {@code text} and {@code label} (optional
   *       {@code id}, {@code group}, {@code split}; any order, case ignored), RFC 4180 quoting.</li>
   * </ul>
   * Records without an id get {@code "line-<n>"}, n being the line where the record starts.
   *
   * @throws DataFormatException naming the file and line for a missing field, an empty text or
   *                             label, invalid UTF-8, malformed JSON or CSV, a duplicate id, an
   *                             unsupported extension, or a file without records
   * @throws IOException         if the file cannot be read
   */
  public static LabelledTextSet load(Path file) throws IOException {
    return load(file, null);
  }

  /**
   * Reads a file as {@link #load(Path)} does, accepting only the given labels; the vocabulary is
   * {@code allowedLabels} in the order given (so class indices follow that order).
   *
   * @param allowedLabels the permitted labels, or null to accept any and sort them
   * @throws DataFormatException additionally for a label not in {@code allowedLabels}, e.g.
   *                             {@code data.jsonl:12: unknown label "eggs" (allowed: ham, spam)}
   */
  public static LabelledTextSet load(Path file, List<String> allowedLabels) throws IOException {
    String source = file.toString();
    TextFileFormat format = TextFileFormat.ofFileName(source);
    return parse(Files.readAllBytes(file), source, format, allowedLabels);
  }

  /** Parses file content; {@code source} names it in errors. */
  static LabelledTextSet parse(byte[] content, String source, TextFileFormat format, List<String> allowedLabels)
      throws DataFormatException {
    if (allowedLabels != null) {
      checkVocabulary(allowedLabels);
      allowedLabels = List.copyOf(allowedLabels);
    }
    String text = StrictUtf8Decoder.decode(content, source);
    RecordValidator validator = new RecordValidator(source, allowedLabels);
    List<LabelledText> items = switch (format) {
      case JSON_LINES -> JsonLinesReader.read(text, validator);
      case CSV -> CsvReader.read(text, validator);
    };
    if (items.isEmpty()) {
      throw new DataFormatException(source, 0, "no records");
    }
    return new LabelledTextSet(items, allowedLabels != null ? allowedLabels : sortedLabels(items));
  }

  /** The items in order; unmodifiable. */
  public List<LabelledText> items() {
    return items;
  }

  /** The label vocabulary: the allowed labels in the order given, or the labels found, sorted. */
  public List<String> labels() {
    return labels;
  }

  /**
   * The class index of a label: its position in {@link #labels()}.
   *
   * @throws IllegalArgumentException for a label outside the vocabulary
   */
  public int labelIndex(String label) {
    int index = labels.indexOf(label);
    if (index < 0) {
      throw new IllegalArgumentException("unknown label \"" + label + "\" (labels: " + String.join(", ", labels) + ")");
    }
    return index;
  }

  /** Number of items. */
  public int size() {
    return items.size();
  }

  /**
   * The items whose {@link LabelledText#split()} equals {@code name}, in order.
   *
   * @throws IllegalArgumentException if no item has that split; the message lists the splits present
   */
  public LabelledTextSet split(String name) {
    Objects.requireNonNull(name, "name");
    List<LabelledText> selected = items.stream().filter(item -> name.equals(item.split())).toList();
    if (selected.isEmpty()) {
      Set<String> present = items.stream().map(LabelledText::split).filter(Objects::nonNull)
          .collect(Collectors.toCollection(TreeSet::new));
      throw new IllegalArgumentException("no item has split \"" + name + "\" (splits present: "
          + (present.isEmpty() ? "none" : String.join(", ", present)) + ")");
    }
    return new LabelledTextSet(selected, labels);
  }

  /**
   * The items in a random order fixed by {@code seed}: a Fisher-Yates shuffle driven by
   * {@code new SplittableRandom(seed)}.
   */
  public LabelledTextSet shuffled(long seed) {
    List<LabelledText> copy = new ArrayList<>(items);
    shuffle(copy, new SplittableRandom(seed));
    return new LabelledTextSet(copy, labels);
  }

  /**
   * The first {@code n} items (all of them when {@code n >= size()}).
   *
   * @throws IllegalArgumentException if {@code n < 0}
   */
  public LabelledTextSet limit(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    return new LabelledTextSet(items.subList(0, Math.min(n, items.size())), labels);
  }

  /**
   * Splits the items into train / validation / test, separately for each label so that each part
   * keeps the label proportions: of the {@code c} items of a label, {@code round(c * train)} go to
   * train, {@code round(c * validation)} (at most what is left) to validation, the rest to test.
   * Which items go where is drawn with {@code seed}. Each returned item's {@code split} is set to
   * {@code "train"}, {@code "validation"} or {@code "test"} (replacing any split it had); each part
   * keeps the original item order. Meant for user files without a split column.
   *
   * @param train      fraction for training, in (0, 1]
   * @param validation fraction for validation, in [0, 1); {@code train + validation <= 1}, the
   *                   remainder is the test fraction
   * @throws IllegalArgumentException for fractions outside those ranges
   */
  public Splits stratifiedSplit(double train, double validation, long seed) {
    if (!(train > 0 && train <= 1)) {
      throw new IllegalArgumentException("train fraction must be in (0, 1], got " + train);
    }
    if (!(validation >= 0 && validation < 1)) {
      throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validation);
    }
    if (train + validation > 1 + 1e-9) {
      throw new IllegalArgumentException("train + validation fractions must be <= 1, got " + train + " + " + validation);
    }
    SplittableRandom random = new SplittableRandom(seed);
    String[] splitOf = new String[items.size()];
    for (List<Integer> positions : positionsByLabel()) {
      shuffle(positions, random);
      int count = positions.size();
      int trainCount = (int) Math.round(count * train);
      int validationCount = (int) Math.min(count - trainCount, Math.round(count * validation));
      for (int i = 0; i < count; i++) {
        splitOf[positions.get(i)] = i < trainCount ? "train" : i < trainCount + validationCount ? "validation" : "test";
      }
    }
    return new Splits(withSplit(splitOf, "train"), withSplit(splitOf, "validation"), withSplit(splitOf, "test"));
  }

  /**
   * {@code n} items drawn with {@code seed} so that label proportions are kept: label {@code l}
   * with {@code c_l} of the {@code size()} items gets {@code floor(n * c_l / size())} items, and
   * the items still missing go one each to the labels with the largest remainders (ties: the
   * earlier label in {@link #labels()}). Each label's count is therefore within 1 of
   * {@code n * c_l / size()}. The result keeps the original item order. For low-data experiments.
   *
   * @throws IllegalArgumentException if {@code n < 0} or {@code n > size()}
   */
  public LabelledTextSet stratifiedSample(int n, long seed) {
    if (n < 0 || n > items.size()) {
      throw new IllegalArgumentException("sample size must be in [0, " + items.size() + "], got " + n);
    }
    List<List<Integer>> byLabel = positionsByLabel();
    int[] quota = new int[byLabel.size()];
    double[] remainder = new double[byLabel.size()];
    int assigned = 0;
    for (int l = 0; l < quota.length; l++) {
      double exact = (double) n * byLabel.get(l).size() / items.size();
      quota[l] = (int) Math.floor(exact);
      remainder[l] = exact - quota[l];
      assigned += quota[l];
    }
    Integer[] order = new Integer[quota.length];
    Arrays.setAll(order, l -> l);
    Arrays.sort(order, Comparator.comparingDouble((Integer l) -> -remainder[l]).thenComparingInt(l -> l));
    for (int k = 0; assigned < n; k++) {
      int l = order[k];
      if (quota[l] < byLabel.get(l).size()) {
        quota[l]++;
        assigned++;
      }
    }
    SplittableRandom random = new SplittableRandom(seed);
    boolean[] chosen = new boolean[items.size()];
    for (int l = 0; l < quota.length; l++) {
      List<Integer> positions = byLabel.get(l);
      shuffle(positions, random);
      for (int i = 0; i < quota[l]; i++) {
        chosen[positions.get(i)] = true;
      }
    }
    List<LabelledText> sample = new ArrayList<>(n);
    for (int i = 0; i < chosen.length; i++) {
      if (chosen[i]) {
        sample.add(items.get(i));
      }
    }
    return new LabelledTextSet(sample, labels);
  }

  /**
   * Counts items by a key, e.g. {@code countsBy(LabelledText::label)}; keys sorted, a null key
   * (say, items without a split) sorted first.
   */
  public Map<String, Long> countsBy(Function<LabelledText, String> key) {
    Map<String, Long> counts = new TreeMap<>(Comparator.nullsFirst(Comparator.naturalOrder()));
    for (LabelledText item : items) {
      counts.merge(key.apply(item), 1L, Long::sum);
    }
    return counts;
  }

  @Override
  public String toString() {
    return "LabelledTextSet[size=" + items.size() + ", labels=" + labels + "]";
  }

  /** Item positions grouped by label, in {@link #labels()} order; each list in item order. */
  private List<List<Integer>> positionsByLabel() {
    List<List<Integer>> byLabel = new ArrayList<>();
    for (int l = 0; l < labels.size(); l++) {
      byLabel.add(new ArrayList<>());
    }
    for (int i = 0; i < items.size(); i++) {
      byLabel.get(labels.indexOf(items.get(i).label())).add(i);
    }
    return byLabel;
  }

  private LabelledTextSet withSplit(String[] splitOf, String name) {
    List<LabelledText> selected = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      if (name.equals(splitOf[i])) {
        selected.add(items.get(i).withSplit(name));
      }
    }
    return new LabelledTextSet(selected, labels);
  }

  /** Fisher-Yates: for i from the end, swap element i with a uniformly drawn j in [0, i]. */
  private static <T> void shuffle(List<T> list, SplittableRandom random) {
    for (int i = list.size() - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      T swap = list.get(i);
      list.set(i, list.get(j));
      list.set(j, swap);
    }
  }

  private static List<String> sortedLabels(List<LabelledText> items) {
    return items.stream().map(LabelledText::label).distinct().sorted().toList();
  }

  private static void checkVocabulary(List<String> labels) {
    Objects.requireNonNull(labels, "labels");
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("label vocabulary is empty");
    }
    Set<String> seen = new HashSet<>();
    for (String label : labels) {
      if (label == null || label.isBlank()) {
        throw new IllegalArgumentException("label vocabulary holds a blank label: " + labels);
      }
      if (!seen.add(label)) {
        throw new IllegalArgumentException("label vocabulary repeats \"" + label + "\": " + labels);
      }
    }
  }
}
