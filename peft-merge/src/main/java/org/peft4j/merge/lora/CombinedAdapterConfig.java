package org.peft4j.merge.lora;

import java.util.List;
import org.peft4j.core.config.TargetModules;
import org.peft4j.core.config.TargetSpec;
import org.peft4j.lora.LoraConfig;
import org.peft4j.lora.LoraInit;

/**
 * The rank and the config PEFT's {@code add_weighted_adapter} gives a combined adapter
 * ({@code _check_add_weighted_adapter} and the {@code replace(...)} after it; peft-semantics.md 7.1).
 */
final class CombinedAdapterConfig {

    private CombinedAdapterConfig() {}

    /**
     * The rank PEFT counts for a source adapter: {@code r}, or the largest {@code rank_pattern}
     * value when that is larger (the new adapter's tensors must hold every layer's rank).
     */
    static int rankOf(LoraConfig source) {
        int rank = source.r();
        for (int patternRank : source.rankPattern().values()) {
            rank = Math.max(rank, patternRank);
        }
        return rank;
    }

    /**
     * The new adapter's rank: the common rank for the A-and-B-separate types (unequal ranks: PEFT's
     * error), {@code sum r_i} for {@code cat}, {@code svdRank} (or {@code max r_i} when 0) for the
     * SVD types.
     *
     * @param effective the type after PEFT's rule "one adapter means linear"
     * @param sources the source configs, in the caller's order
     * @param svdRank the requested SVD rank, or 0 for none
     * @return the rank, at least 1
     */
    static int newRank(CombinationType effective, List<LoraConfig> sources, int svdRank) {
        switch (effective.family()) {
            case FACTORS: {
                int r = rankOf(sources.get(0));
                for (LoraConfig c : sources) {
                    if (rankOf(c) != r) {
                        throw new IllegalArgumentException(AdapterCombination.UNEQUAL_RANKS + " Ranks: " + ranks(sources));
                    }
                }
                return r;
            }
            case CAT:
                return sources.stream().mapToInt(CombinedAdapterConfig::rankOf).sum();
            case SVD:
                return svdRank > 0 ? svdRank : sources.stream().mapToInt(CombinedAdapterConfig::rankOf).max().getAsInt();
            default:
                throw new IllegalStateException("unknown family " + effective.family());
        }
    }

    private static String ranks(List<LoraConfig> sources) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < sources.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(rankOf(sources.get(i)));
        }
        return sb.append(']').toString();
    }

    /**
     * The new adapter's config: the first source's config with {@code r = lora_alpha = newRank}
     * (scaling 1, the scalings are baked into the factors), {@code use_rslora} false (PEFT copies it
     * and so overscales by {@code sqrt(r)}; fixed upstream in PR #3449/#3473), {@code rank_pattern}
     * and {@code alpha_pattern} empty, and {@code target_modules} the union of the sources' ({@link
     * TargetModules#union}). {@code init_lora_weights} is reset to {@code true}: the factors are
     * written, not initialised, and a PiSSA init would rewrite the frozen weight. Everything else
     * ({@code exclude_modules}, {@code layers_to_transform}, {@code modules_to_save}, {@code bias},
     * {@code lora_dropout}, {@code task_type}, ...) is the first source's, as in PEFT.
     */
    static LoraConfig of(List<LoraConfig> sources, int newRank) {
        LoraConfig first = sources.get(0);
        TargetModules union = first.targets().targetModules();
        for (int i = 1; i < sources.size(); i++) {
            union = union.union(sources.get(i).targets().targetModules());
        }
        TargetSpec firstSpec = first.targets();
        TargetSpec spec =
                new TargetSpec(union, firstSpec.excludeModules(), firstSpec.layersToTransform(), firstSpec.layersPattern());
        LoraConfig method = LoraConfig.builder()
                .r(newRank)
                .loraAlpha(newRank)
                .loraDropout(first.loraDropout())
                .useRslora(false)
                .initLoraWeights(LoraInit.DEFAULT)
                .targetModules(union)
                .build();
        return method.withCommon(first.common().withTargets(spec));
    }
}
