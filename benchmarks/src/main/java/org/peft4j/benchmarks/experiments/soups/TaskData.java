package org.peft4j.benchmarks.experiments.soups;

import org.peft4j.examples.data.LabelledText;
import org.peft4j.examples.data.LabelledTextSet;
import org.peft4j.examples.data.Splits;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A classification task derived from the bundled SpamAssassin corpus: its training sample and fixed
 * validation and test subsets, drawn from the corpus' train / validation / test splits, so no task
 * ever evaluates on an e-mail any task trained on.
 *
 * @param name short name for reports
 * @param labels class names in index order
 * @param train training sample
 * @param validation fixed validation subset (selection: greedy soup, LiNeS alpha, merge coefficients)
 * @param test fixed test subset (reported numbers)
 */
record TaskData(String name, List<String> labels, LabelledTextSet train, LabelledTextSet validation, LabelledTextSet test) {

    /** The corpus' own task, ham vs spam, stratified samples of each split. */
    static TaskData spamVsHam(Splits splits, int train, int validation, int test, long seed) {
        return new TaskData("spam vs ham", splits.train().labels(), splits.train().stratifiedSample(train, seed),
                splits.validation().stratifiedSample(Math.min(validation, splits.validation().size()), 42),
                splits.test().stratifiedSample(Math.min(test, splits.test().size()), 42));
    }

    /**
     * The source group as the label, among the e-mails whose group passes {@code groups}; stratified
     * samples (the groups keep their proportions).
     */
    static TaskData byGroup(String name, Splits splits, Predicate<String> groups, int train, int validation, int test, long seed) {
        LabelledTextSet tr = relabel(splits.train(), groups);
        LabelledTextSet va = relabel(splits.validation(), groups);
        LabelledTextSet te = relabel(splits.test(), groups);
        return new TaskData(name, tr.labels(), tr.stratifiedSample(Math.min(train, tr.size()), seed),
                va.stratifiedSample(Math.min(validation, va.size()), 42), te.stratifiedSample(Math.min(test, te.size()), 42));
    }

    /**
     * The source group as the label, the same number of e-mails per group (so chance is 1 / groups):
     * {@code perGroup} drawn with {@code seed}, or all of the smallest group if it has fewer.
     */
    static LabelledTextSet balancedByGroup(LabelledTextSet split, Predicate<String> groups, int perGroup, long seed) {
        LabelledTextSet all = relabel(split, groups).shuffled(seed);
        int n = perGroup;
        for (String l : all.labels()) {
            n = (int) Math.min(n, all.items().stream().filter(t -> t.label().equals(l)).count());
        }
        List<LabelledText> picked = new ArrayList<>();
        for (String l : all.labels()) {
            all.items().stream().filter(t -> t.label().equals(l)).limit(n).forEach(picked::add);
        }
        return LabelledTextSet.of(picked, all.labels());
    }

    /** Class index per item, in item order. */
    static int[] labelIndices(LabelledTextSet set) {
        return set.items().stream().mapToInt(t -> set.labelIndex(t.label())).toArray();
    }

    private static LabelledTextSet relabel(LabelledTextSet set, Predicate<String> groups) {
        List<LabelledText> items = set.items().stream().filter(t -> t.group() != null && groups.test(t.group()))
                .map(t -> new LabelledText(t.id(), t.text(), t.group(), t.group(), t.split())).toList();
        return LabelledTextSet.of(items);
    }
}
