/**
 * Blocks with Hugging Face names: {@link org.peft4j.core.nn.ModuleBlock} (named, replaceable
 * children, eager shapes), {@link org.peft4j.core.nn.DenseLinear}, the {@link
 * org.peft4j.core.nn.LinearLayer} view that adapters wrap, and {@link org.peft4j.core.nn.BlockPaths}
 * which names and replaces blocks by dotted path.
 */
package org.peft4j.core.nn;
