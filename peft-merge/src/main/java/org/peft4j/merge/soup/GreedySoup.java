package org.peft4j.merge.soup;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.peft4j.merge.checkpoint.CheckpointView;

/**
 * Greedy soup (Wortsman et al., ICML 2022, Recipe 1; model-soups {@code main.py}): score every
 * ingredient alone, sort descending, start from the best, then try each next ingredient once: the
 * candidate is the uniform average of the current members plus it; keep it if the candidate's
 * held-out score passes the {@link AcceptanceRule} against the best score so far. No ingredient is
 * removed once added.
 */
public final class GreedySoup {

    private final AcceptanceRule rule;

    private GreedySoup(AcceptanceRule rule) {
        this.rule = rule;
    }

    /**
     * @param rule {@link AcceptanceRule#AT_LEAST} (paper, {@code >=}) or {@link
     *     AcceptanceRule#STRICTLY_GREATER} (official code, {@code >})
     * @return a greedy soup recipe
     */
    public static GreedySoup withRule(AcceptanceRule rule) {
        if (rule == null) {
            throw new IllegalArgumentException("rule must be AT_LEAST or STRICTLY_GREATER, got null");
        }
        return new GreedySoup(rule);
    }

    /**
     * @return the paper's recipe ({@code >=})
     */
    public static GreedySoup paper() {
        return new GreedySoup(AcceptanceRule.AT_LEAST);
    }

    /**
     * Runs the recipe.
     *
     * @param ingredients fine-tunes of one model (same keys and shapes), distinct names
     * @param evaluator held-out score, higher is better
     * @return the report with the final soup
     */
    public GreedySoupReport cook(List<SoupIngredient> ingredients, SoupEvaluator evaluator) {
        if (ingredients == null || ingredients.isEmpty()) {
            throw new IllegalArgumentException("ingredients must hold at least one checkpoint");
        }
        Set<String> seen = new HashSet<>();
        for (SoupIngredient in : ingredients) {
            if (!seen.add(in.name())) {
                throw new IllegalArgumentException("ingredient name '" + in.name() + "' is used twice");
            }
        }
        Map<String, Double> individual = new LinkedHashMap<>();
        for (SoupIngredient in : ingredients) {
            individual.put(in.name(), checked(evaluator.score(in.checkpoint()), in.name()));
        }
        List<SoupIngredient> sorted = new ArrayList<>(ingredients);
        // List.sort is stable: equal scores keep their input order
        sorted.sort(Comparator.comparingDouble((SoupIngredient in) -> individual.get(in.name())).reversed());

        List<SoupStep> steps = new ArrayList<>();
        List<SoupIngredient> members = new ArrayList<>();
        SoupIngredient first = sorted.get(0);
        members.add(first);
        double best = individual.get(first.name());
        steps.add(new SoupStep(first.name(), best, true, best));
        for (SoupIngredient next : sorted.subList(1, sorted.size())) {
            List<CheckpointView> candidate = new ArrayList<>();
            for (SoupIngredient m : members) {
                candidate.add(m.checkpoint());
            }
            candidate.add(next.checkpoint());
            double score = checked(evaluator.score(UniformSoup.of(candidate)), next.name());
            boolean accepted = rule.accepts(score, best);
            if (accepted) {
                members.add(next);
                best = score;
            }
            steps.add(new SoupStep(next.name(), score, accepted, best));
        }
        List<String> order = sorted.stream().map(SoupIngredient::name).toList();
        List<String> kept = members.stream().map(SoupIngredient::name).toList();
        CheckpointView soup = UniformSoup.of(members.stream().map(SoupIngredient::checkpoint).toList());
        return new GreedySoupReport(
                Collections.unmodifiableMap(individual), order, List.copyOf(steps), kept, soup);
    }

    private static double checked(double score, String name) {
        if (!Double.isFinite(score)) {
            throw new IllegalArgumentException(
                    "the evaluator returned " + score + " for '" + name + "'; scores must be finite");
        }
        return score;
    }
}
