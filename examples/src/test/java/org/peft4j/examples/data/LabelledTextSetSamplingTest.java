package org.peft4j.examples.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Deterministic shuffling, stratified splitting and stratified sampling. */
class LabelledTextSetSamplingTest {

  private static LabelledTextSet corpus;

  @BeforeAll
  static void loadCorpus() throws Exception {
    corpus = BundledData.spamAssassin();
  }

  /** 10 items of "a", 7 of "b", 3 of "c", interleaved. */
  private static LabelledTextSet smallThreeLabelSet() {
    List<LabelledText> items = new ArrayList<>();
    int[] remaining = {10, 7, 3};
    String[] names = {"a", "b", "c"};
    for (int i = 0; items.size() < 20; i++) {
      int l = i % 3;
      if (remaining[l]-- > 0) {
        items.add(new LabelledText("item-" + items.size(), "text " + items.size(), names[l], null, null));
      }
    }
    return LabelledTextSet.of(items, List.of("a", "b", "c"));
  }

  private static List<String> ids(LabelledTextSet set) {
    return set.items().stream().map(LabelledText::id).toList();
  }

  /** Asserts that each label's count in {@code part} is within 1 item of {@code fraction} of its count in {@code whole}. */
  private static void assertProportionsKept(LabelledTextSet whole, LabelledTextSet part, double fraction) {
    Map<String, Long> wholeCounts = whole.countsBy(LabelledText::label);
    Map<String, Long> partCounts = part.countsBy(LabelledText::label);
    for (String label : whole.labels()) {
      double expected = wholeCounts.getOrDefault(label, 0L) * fraction;
      long actual = partCounts.getOrDefault(label, 0L);
      assertTrue(Math.abs(actual - expected) <= 1.0,
          () -> "label " + label + ": " + actual + " items, expected " + expected + " +- 1");
    }
  }

  @Test
  void shuffleWithTheSameSeedGivesTheSameOrder() {
    List<String> first = ids(corpus.shuffled(42L));
    List<String> again = ids(corpus.shuffled(42L));
    assertEquals(first, again, "two shuffles with the same seed");
  }

  @Test
  void shuffleWithAnotherSeedGivesAnotherOrder() {
    // two seeds agreeing on a permutation of 5,881 items would be a defect, not chance
    assertNotEquals(ids(corpus.shuffled(42L)), ids(corpus.shuffled(43L)));
  }

  @Test
  void shuffleIsAPermutationAndKeepsTheVocabulary() {
    LabelledTextSet shuffled = corpus.shuffled(7L);
    assertNotEquals(ids(corpus), ids(shuffled));
    assertEquals(new HashSet<>(ids(corpus)), new HashSet<>(ids(shuffled)));
    assertEquals(corpus.size(), shuffled.size());
    assertEquals(corpus.labels(), shuffled.labels());
  }

  @Test
  void stratifiedSplitKeepsLabelProportionsWithinOneItem() {
    Splits splits = corpus.stratifiedSplit(0.7, 0.1, 11L);
    assertProportionsKept(corpus, splits.train(), 0.7);
    assertProportionsKept(corpus, splits.validation(), 0.1);
    assertProportionsKept(corpus, splits.test(), 0.2);
  }

  @Test
  void stratifiedSplitPartitionsEveryItemOnceAndMarksItsSplit() {
    Splits splits = corpus.stratifiedSplit(0.6, 0.2, 11L);
    Set<String> seen = new HashSet<>();
    for (LabelledTextSet part : List.of(splits.train(), splits.validation(), splits.test())) {
      String name = part == splits.train() ? "train" : part == splits.validation() ? "validation" : "test";
      for (LabelledText item : part.items()) {
        assertTrue(seen.add(item.id()), "item in two parts: " + item.id());
        assertEquals(name, item.split());
      }
      assertEquals(corpus.labels(), part.labels());
    }
    assertEquals(corpus.size(), seen.size());
  }

  @Test
  void stratifiedSplitOfSmallUnevenSetKeepsProportionsWithinOneItem() {
    LabelledTextSet set = smallThreeLabelSet();
    Splits splits = set.stratifiedSplit(0.5, 0.25, 3L);
    assertProportionsKept(set, splits.train(), 0.5);
    assertProportionsKept(set, splits.validation(), 0.25);
    assertProportionsKept(set, splits.test(), 0.25);
  }

  @Test
  void stratifiedSplitIsDeterministicPerSeed() {
    assertEquals(ids(corpus.stratifiedSplit(0.7, 0.1, 5L).test()), ids(corpus.stratifiedSplit(0.7, 0.1, 5L).test()));
    assertNotEquals(ids(corpus.stratifiedSplit(0.7, 0.1, 5L).test()), ids(corpus.stratifiedSplit(0.7, 0.1, 6L).test()));
  }

  @Test
  void stratifiedSplitRejectsFractionsAboveOne() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> corpus.stratifiedSplit(0.8, 0.3, 1L));
    assertEquals("train + validation fractions must be <= 1, got 0.8 + 0.3", e.getMessage());
  }

  @Test
  void stratifiedSampleKeepsLabelProportionsWithinOneItem() {
    LabelledTextSet train = corpus.split("train");
    for (int n : new int[] {1, 16, 64, 1000}) {
      LabelledTextSet sample = train.stratifiedSample(n, 42L);
      assertEquals(n, sample.size());
      assertProportionsKept(train, sample, (double) n / train.size());
    }
  }

  @Test
  void stratifiedSampleOfSmallUnevenSetKeepsProportionsWithinOneItem() {
    LabelledTextSet set = smallThreeLabelSet();
    for (int n = 0; n <= set.size(); n++) {
      LabelledTextSet sample = set.stratifiedSample(n, 9L);
      assertEquals(n, sample.size());
      assertProportionsKept(set, sample, (double) n / set.size());
    }
  }

  @Test
  void stratifiedSampleIsDeterministicPerSeedAndHasNoRepeats() {
    LabelledTextSet first = corpus.stratifiedSample(200, 1L);
    assertEquals(ids(first), ids(corpus.stratifiedSample(200, 1L)));
    assertNotEquals(ids(first), ids(corpus.stratifiedSample(200, 2L)));
    assertEquals(200, new HashSet<>(ids(first)).size());
  }

  @Test
  void stratifiedSampleLargerThanTheSetIsRejected() {
    LabelledTextSet set = smallThreeLabelSet();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> set.stratifiedSample(21, 1L));
    assertEquals("sample size must be in [0, 20], got 21", e.getMessage());
  }

  @Test
  void limitTakesTheFirstItems() {
    assertEquals(ids(corpus).subList(0, 5), ids(corpus.limit(5)));
    assertEquals(corpus.size(), corpus.limit(Integer.MAX_VALUE).size());
  }

  @Test
  void unknownSplitNameListsTheSplitsPresent() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> corpus.split("validaton"));
    assertEquals("no item has split \"validaton\" (splits present: test, train, validation)", e.getMessage());
  }
}
