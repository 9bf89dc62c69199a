package org.peft4j.merge.soup;

/** When greedy soup keeps an ingredient (methods-spec.md, Choices #1). */
public enum AcceptanceRule {
    /**
     * Keep it if the soup's held-out score does not drop, {@code candidate >= best} (the paper,
     * Wortsman et al. 2022, Recipe 1). The default.
     */
    AT_LEAST,
    /**
     * Keep it only if the score strictly improves, {@code candidate > best} (the official code,
     * {@code mlfoundations/model-soups} {@code main.py}).
     */
    STRICTLY_GREATER;

    /**
     * @param candidate score of the soup with the ingredient
     * @param best best score so far
     * @return whether the ingredient is kept
     */
    public boolean accepts(double candidate, double best) {
        return this == AT_LEAST ? candidate >= best : candidate > best;
    }
}
