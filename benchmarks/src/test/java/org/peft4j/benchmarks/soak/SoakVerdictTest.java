package org.peft4j.benchmarks.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;

/** The soak's verdict on synthetic RSS curves whose slope and growth are known in closed form. */
class SoakVerdictTest {

    private static final double MIB = 1024 * 1024;

    /** Samples at 0, every, 2·every, ..., steps, with RSS given in MiB by {@code rss}. */
    private static List<SoakSample> curve(int steps, int every, IntToDoubleFunction rss) {
        List<SoakSample> s = new ArrayList<>();
        for (int step = 0; step <= steps; step += every) {
            s.add(new SoakSample(step, Math.round(rss.applyAsDouble(step) * MIB), 0, 0, 10, Float.NaN, Double.NaN));
        }
        return s;
    }

    private static SoakSettings settings(int steps, int every) {
        return new SoakSettings("train-lora-r8-qv", steps, 8, 64, every, 1);
    }

    @Test
    void warmUpIsTenPercentOfTheStepsButNotBeforeStep100() {
        assertEquals(200, settings(2000, 50).warmUpStep());
        assertEquals(100, settings(500, 50).warmUpStep());
        // ceil(0.1 · 2005) = 201: the first sample at or after it is step 250
        SoakVerdict v = SoakVerdict.of(curve(2000, 50, step -> 1000), settings(2005, 50)).orElseThrow();
        assertEquals(250, v.warmUpStep());
    }

    @Test
    void slopeOfALinearCurveIsItsGradientPer1000Steps() {
        // RSS = 1000 + 0.002·step MiB: 2 MiB per 1,000 steps exactly; the tolerance covers rounding RSS to bytes
        SoakVerdict v = SoakVerdict.of(curve(2000, 50, step -> 1000 + 0.002 * step), settings(2000, 50)).orElseThrow();
        assertEquals(2.0, v.slopeMibPer1000Steps(), 1e-6);
        assertEquals(21, v.slopeSamples()); // steps 1000, 1050, ..., 2000
        assertFalse(v.slopeHolds());
        // growth from step 200 to 2000: 3.6 MiB of 1000.4 MiB
        assertEquals(3.6, v.growthMib(), 1e-6);
        assertEquals(100 * 3.6 / 1000.4, v.growthPercent(), 1e-6);
        assertTrue(v.growthHolds());
        assertFalse(v.holds());
    }

    @Test
    void aFlatCurveAfterAStepHolds() {
        // the warm-up jump (step 0 → 50) lies before the warm-up sample and does not count
        SoakVerdict v = SoakVerdict.of(curve(2000, 50, step -> step == 0 ? 800 : 1000), settings(2000, 50)).orElseThrow();
        assertEquals(0.0, v.growthMib(), 0.0);
        assertEquals(0.0, v.slopeMibPer1000Steps(), 1e-12);
        assertTrue(v.holds());
    }

    @Test
    void growthOfTwoPercentOrMoreFails() {
        // a jump of 25 MiB on 1000 MiB (2.5%) late in the first half: the second half is flat, the growth is not
        SoakVerdict v = SoakVerdict.of(curve(2000, 50, step -> step < 900 ? 1000 : 1025), settings(2000, 50)).orElseThrow();
        assertEquals(2.5, v.growthPercent(), 1e-9);
        assertFalse(v.growthHolds());
        assertTrue(v.slopeHolds());
    }

    @Test
    void aRunWithNoSampleAfterWarmUpHasNoVerdict() {
        assertTrue(SoakVerdict.of(curve(60, 20, step -> 1000), settings(60, 20)).isEmpty());
    }

    @Test
    void badSettingsNameTheOption() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(2000, 0));
        assertTrue(e.getMessage().contains("--sample-every"), e.getMessage());
    }
}
