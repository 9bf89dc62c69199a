package org.peft4j.merge.consensus;

/**
 * How the majority sign of an entry is elected across task tensors (PEFT {@code
 * majority_sign_method}).
 */
public enum SignElection {
    /** Sign of the sum of the values, {@code sign(sum_i T_i)} (PEFT {@code "total"}, TIES paper). */
    TOTAL,
    /** Sign of the sum of the signs, {@code sign(sum_i sign(T_i))} (PEFT {@code "frequency"}). */
    FREQUENCY
}
