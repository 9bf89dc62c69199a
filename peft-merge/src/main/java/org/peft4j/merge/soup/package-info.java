/**
 * Model soups (Wortsman et al., ICML 2022): {@link org.peft4j.merge.soup.UniformSoup} averages the
 * parameters of several fine-tunes of the same model; {@link org.peft4j.merge.soup.GreedySoup} adds
 * fine-tunes in order of held-out score and keeps each one only if the soup's held-out score does not
 * drop. Held-out scores come from a caller's {@link org.peft4j.merge.soup.SoupEvaluator}.
 */
package org.peft4j.merge.soup;
