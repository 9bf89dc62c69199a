/**
 * TIES sign consensus on stacked task tensors {@code [T, ...]}: {@link
 * org.peft4j.merge.consensus.MajoritySignMask} elects a sign per entry ({@link
 * org.peft4j.merge.consensus.SignElection}), {@link org.peft4j.merge.consensus.DisjointMerge}
 * averages the entries that agree with it. Semantics of PEFT {@code merge_utils} ({@code
 * calculate_majority_sign_mask}, {@code disjoint_merge}).
 */
package org.peft4j.merge.consensus;
