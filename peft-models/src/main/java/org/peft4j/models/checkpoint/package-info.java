/**
 * Loading and saving model weights by Hugging Face state-dict keys: {@link
 * org.peft4j.models.checkpoint.TensorSource} (named tensors from any origin), {@link
 * org.peft4j.models.checkpoint.CheckpointLoader} (fills a block's parameters, one tensor at a time,
 * and reports every missing, unexpected or mis-shaped key at once), {@link
 * org.peft4j.models.checkpoint.LoadOptions} and {@link org.peft4j.models.checkpoint.LoadReport}.
 */
package org.peft4j.models.checkpoint;
