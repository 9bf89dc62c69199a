/**
 * Models shipped in Maven artifacts and loaded from the classpath: {@link
 * org.peft4j.models.pretrained.PretrainedModels} (all-MiniLM-L6-v2 as a sentence embedder or a
 * sequence classifier) returning {@link org.peft4j.models.pretrained.Pretrained}.
 */
package org.peft4j.models.pretrained;
