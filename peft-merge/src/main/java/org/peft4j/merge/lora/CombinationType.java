package org.peft4j.merge.lora;

import java.util.Locale;

/**
 * The {@code combination_type} values of PEFT's {@code add_weighted_adapter} (peft-semantics.md 7.1).
 */
public enum CombinationType {
    /** Concatenate ranks: exact {@code sum_i w_i Delta W_i}, rank {@code sum_i r_i}. */
    CAT(Family.CAT),
    /** A and B merged separately with {@code task_arithmetic} and square-root weights. */
    LINEAR(Family.FACTORS),
    /** A and B merged separately with {@code ties}. */
    TIES(Family.FACTORS),
    /** A and B merged separately with {@code dare_linear}. */
    DARE_LINEAR(Family.FACTORS),
    /** A and B merged separately with {@code dare_ties}. */
    DARE_TIES(Family.FACTORS),
    /** A and B merged separately with {@code magnitude_prune}. */
    MAGNITUDE_PRUNE(Family.FACTORS),
    /** {@code sum_i w_i Delta W_i}, then truncated SVD. */
    SVD(Family.SVD),
    /** {@code ties} over the {@code Delta W_i}, then truncated SVD. */
    TIES_SVD(Family.SVD),
    /** {@code dare_linear} over the {@code Delta W_i}, then truncated SVD. */
    DARE_LINEAR_SVD(Family.SVD),
    /** {@code dare_ties} over the {@code Delta W_i}, then truncated SVD. */
    DARE_TIES_SVD(Family.SVD),
    /** {@code magnitude_prune} over the {@code Delta W_i}, then truncated SVD. */
    MAGNITUDE_PRUNE_SVD(Family.SVD);

    /** How a type treats the factors. */
    public enum Family {
        /** concatenation */
        CAT,
        /** A and B merged separately (needs equal ranks) */
        FACTORS,
        /** full {@code Delta W} merged, then factorised */
        SVD
    }

    private final Family family;

    CombinationType(Family family) {
        this.family = family;
    }

    /**
     * @return how this type treats the factors
     */
    public Family family() {
        return family;
    }

    /**
     * @return PEFT's name, for example {@code "dare_ties_svd"}
     */
    public String peftName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses PEFT's name.
     *
     * @param name for example {@code "svd"} or {@code "ties"}
     * @return the type
     * @throws IllegalArgumentException naming the allowed values
     */
    public static CombinationType fromPeftName(String name) {
        for (CombinationType t : values()) {
            if (t.peftName().equals(name)) {
                return t;
            }
        }
        StringBuilder allowed = new StringBuilder();
        for (CombinationType t : values()) {
            allowed.append(allowed.length() == 0 ? "" : ", ").append(t.peftName());
        }
        throw new IllegalArgumentException("combination_type '" + name + "' is unknown; allowed: " + allowed);
    }
}
