package org.peft4j.benchmarks.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.util.List;

/** Order statistics by their textbook definitions (median; nearest-rank percentile). */
class StepStatisticsTest {

    @Test
    void medianOfAnOddCountIsTheMiddleValue() {
        assertEquals(3.0, StepStatistics.of(List.of(5.0, 1.0, 3.0)).medianMillis());
    }

    @Test
    void medianOfAnEvenCountAveragesTheMiddlePair() {
        assertEquals(2.5, StepStatistics.of(List.of(4.0, 1.0, 2.0, 3.0)).medianMillis());
    }

    @Test
    void p90IsTheNearestRank() {
        // nearest rank: ceil(0.9 · 10) = 9th smallest of 1..10
        StepStatistics s = StepStatistics.of(List.of(10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0));
        assertEquals(9.0, s.p90Millis());
        assertEquals(1.0, s.minMillis());
        assertEquals(5.5, s.meanMillis());
    }

    @Test
    void noValuesIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> StepStatistics.of(List.of()));
    }
}
