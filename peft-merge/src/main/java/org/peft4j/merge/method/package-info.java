/**
 * Per-tensor merge methods. A {@link org.peft4j.merge.method.TaskVectorCombiner} turns stacked task
 * vectors {@code [T, ...]} into one merged task vector ({@link
 * org.peft4j.merge.method.TaskArithmetic}, {@link org.peft4j.merge.method.MagnitudePrune}, {@link
 * org.peft4j.merge.method.Ties}, {@link org.peft4j.merge.method.Dare}); a {@link
 * org.peft4j.merge.method.MergeMethod} produces a merged parameter from the base tensor and the
 * stacked input tensors ({@link org.peft4j.merge.method.TaskVectorMerge}, {@link
 * org.peft4j.merge.method.LinearAverage}, {@link org.peft4j.merge.method.Slerp}).
 *
 * <p>All arrays are float32. Results live in the manager of the stacked input; temporaries are
 * closed before returning; inside an {@link ai.djl.ndarray.NDScope} the result is registered with
 * that scope like any freshly created array.
 */
package org.peft4j.merge.method;
