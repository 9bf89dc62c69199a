/**
 * Tokenization with Hugging Face fast tokenizers ({@code tokenizer.json}) into model-ready int64
 * arrays: {@link org.peft4j.models.tokenize.TextTokenizer} and {@link
 * org.peft4j.models.tokenize.TokenizedBatch}.
 */
package org.peft4j.models.tokenize;
