package org.peft4j.quant.reliability;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.peft4j.core.reliability.FuzzAssertions;
import org.peft4j.core.reliability.FuzzCampaign;
import org.peft4j.core.reliability.FuzzTally;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Seeded fuzzing of the bitsandbytes quant-state reader ({@link BnbCheckpointFuzzFormat}). {@code
 * peft4j.fuzz.inputs} and {@code peft4j.fuzz.seed} change the count and the seed.
 */
class BnbCheckpointFuzzTest {

    @Test
    void everyMutatedCheckpointIsRejectedWithATypedExceptionOrDequantizesToItsShape(@TempDir Path work)
            throws IOException {
        try (BnbCheckpointFuzzFormat format = new BnbCheckpointFuzzFormat()) {
            FuzzTally tally = FuzzCampaign.run(format, FuzzCampaign.seed(), FuzzCampaign.inputCount(), work);
            System.out.println("fuzz " + tally + "; rejected by " + format.rejectedBy());
            FuzzAssertions.assertClean(tally);
        }
    }
}
