/**
 * The BERT family (BERT, MiniLM, all-MiniLM sentence encoders, ...) with Hugging Face module paths:
 * {@link org.peft4j.models.bert.BertConfig}, {@link org.peft4j.models.bert.BertModel}, {@link
 * org.peft4j.models.bert.BertForSequenceClassification} and {@link
 * org.peft4j.models.bert.BertSentenceEmbedder}.
 */
package org.peft4j.models.bert;
