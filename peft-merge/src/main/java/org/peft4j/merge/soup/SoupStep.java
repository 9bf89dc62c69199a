package org.peft4j.merge.soup;

/**
 * One step of greedy soup: an ingredient tried, the score of the soup with it, the decision.
 *
 * @param ingredient ingredient name
 * @param candidateScore held-out score of the soup including the ingredient (for the first step,
 *     the ingredient alone)
 * @param accepted whether it was kept
 * @param bestScore best score after the step (the trajectory)
 */
public record SoupStep(String ingredient, double candidateScore, boolean accepted, double bestScore) {}
