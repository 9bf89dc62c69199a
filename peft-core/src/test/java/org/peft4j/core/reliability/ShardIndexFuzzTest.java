package org.peft4j.core.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Seeded fuzzing of the sharded-checkpoint index reader ({@link ShardIndexFuzzFormat}), path traversal in shard
 * names included; {@value FuzzCampaign#INPUTS_PROPERTY} and {@value FuzzCampaign#SEED_PROPERTY} change the count
 * and the seed.
 */
class ShardIndexFuzzTest {

    @Test
    void everyMutatedIndexIsRejectedWithAnIOExceptionOrOpensOnlyTheFoldersShards(@TempDir Path work)
            throws IOException {
        FuzzTally tally = FuzzCampaign.run(new ShardIndexFuzzFormat(), FuzzCampaign.seed(), FuzzCampaign.inputCount(),
                work);
        System.out.println("fuzz " + tally);
        FuzzAssertions.assertClean(tally);
    }
}
