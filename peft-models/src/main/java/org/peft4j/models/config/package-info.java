/**
 * Reading Hugging Face {@code config.json} files: typed field reads with errors that name the
 * file, the field and the allowed values.
 */
package org.peft4j.models.config;
