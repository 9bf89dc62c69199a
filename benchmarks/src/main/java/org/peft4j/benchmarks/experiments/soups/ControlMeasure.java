package org.peft4j.benchmarks.experiments.soups;

import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.data.Splits;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The control task of single-task LiNeS (claim (c)): a labelled validation set (choice of alpha) and
 * a disjoint test set (reported numbers), each scored by leave-one-out kNN on the frozen mean-pooled
 * embeddings ({@link NearestNeighbourProbe}), so the score measures only what the encoder keeps.
 *
 * @param name setting value that selects it ({@code afinn} or {@code ham})
 * @param description one sentence for the report: what is told apart and how the sets were drawn
 * @param validation balanced validation set
 * @param test balanced test set, disjoint from {@code validation}
 */
record ControlMeasure(String name, String description, LabelledTextSet validation, LabelledTextSet test) {

    /** Words that share this many first characters are one family (inflections: abandon, abandoned, abandons). */
    static final int FAMILY_PREFIX = 5;

    /**
     * Easy-ham-1 vs easy-ham-2 e-mails, balanced, from the corpus' validation and test splits
     * (the control of the first runs; the spam loss gives no signal about it).
     *
     * @param perGroupValidation e-mails per group in the validation set
     * @param perGroupTest e-mails per group in the test set
     */
    static ControlMeasure easyHam(Splits splits, int perGroupValidation, int perGroupTest) {
        LabelledTextSet val = TaskData.balancedByGroup(splits.validation(), g -> g.startsWith("easy-ham-"), perGroupValidation, 42);
        LabelledTextSet test = TaskData.balancedByGroup(splits.test(), g -> g.startsWith("easy-ham-"), perGroupTest, 42);
        return new ControlMeasure("ham", String.format(Locale.ROOT,
                "telling easy-ham-1 from easy-ham-2 e-mails, balanced: %d validation e-mails %s, %d test e-mails %s (chance 50%%)",
                val.size(), val.countsBy(LabelledText::label), test.size(), test.countsBy(LabelledText::label)), val, test);
    }

    /**
     * Word sentiment from AFINN-111: positive (valence &gt; 0) vs negative (valence &lt; 0) single
     * words (entries without a space), each word alone as a text. Words are grouped into families by
     * their first {@value #FAMILY_PREFIX} characters and only the shortest word of a family is kept
     * (ties: alphabetical), so inflections of one word, which are each other's nearest neighbours
     * whatever the encoder knows about sentiment, do not inflate the score; its valence gives the
     * class (a family whose shortest word is rated 0 is left out). The kept words of each class,
     * sorted, are shuffled with {@code seed}; the first {@code perClassValidation} go to validation,
     * the next {@code perClassTest} to test, so the two sets share no word and no family.
     *
     * @throws IllegalArgumentException if a class has fewer than {@code perClassValidation + perClassTest} families
     */
    static ControlMeasure afinnSentiment(AfinnLexicon lexicon, int perClassValidation, int perClassTest, long seed) {
        Map<String, AfinnLexicon.Entry> family = new LinkedHashMap<>();
        Comparator<AfinnLexicon.Entry> shortestFirst = Comparator.comparingInt((AfinnLexicon.Entry e) -> e.word().length())
                .thenComparing(AfinnLexicon.Entry::word);
        for (AfinnLexicon.Entry e : lexicon.entries()) {
            if (e.word().contains(" ")) {
                continue;
            }
            String key = e.word().substring(0, Math.min(FAMILY_PREFIX, e.word().length()));
            family.merge(key, e, (a, b) -> shortestFirst.compare(a, b) <= 0 ? a : b);
        }
        List<String> labels = List.of("negative", "positive");
        List<List<AfinnLexicon.Entry>> byClass = List.of(new ArrayList<>(), new ArrayList<>());
        for (AfinnLexicon.Entry e : family.values()) {
            if (e.valence() != 0) {
                byClass.get(e.valence() > 0 ? 1 : 0).add(e);
            }
        }
        List<LabelledText> val = new ArrayList<>();
        List<LabelledText> test = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            List<AfinnLexicon.Entry> words = byClass.get(c);
            if (words.size() < perClassValidation + perClassTest) {
                throw new IllegalArgumentException("controlValidation + controlTest = " + (perClassValidation + perClassTest) + " words per class, but AFINN-111 has only "
                        + words.size() + " " + labels.get(c) + " word families");
            }
            words.sort(Comparator.comparing(AfinnLexicon.Entry::word));
            Collections.shuffle(words, new Random(seed));
            for (int i = 0; i < perClassValidation + perClassTest; i++) {
                AfinnLexicon.Entry e = words.get(i);
                boolean inValidation = i < perClassValidation;
                (inValidation ? val : test).add(new LabelledText(e.word(), e.word(), labels.get(c), "afinn" + e.valence(),
                        inValidation ? "validation" : "test"));
            }
        }
        LabelledTextSet v = LabelledTextSet.of(val, labels);
        LabelledTextSet t = LabelledTextSet.of(test, labels);
        return new ControlMeasure("afinn", String.format(Locale.ROOT,
                "telling positive from negative words of AFINN-111 (%s), each word alone, one word per %d-letter family, balanced: "
                        + "%d validation words %s, %d test words %s, no word or family in both (chance 50%%)",
                AfinnLexicon.PACKAGE, FAMILY_PREFIX, v.size(), v.countsBy(LabelledText::label), t.size(), t.countsBy(LabelledText::label)), v, t);
    }
}
