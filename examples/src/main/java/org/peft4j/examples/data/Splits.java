package org.peft4j.examples.data;

import java.util.Objects;

/**
 * A train / validation / test partition of one {@link LabelledTextSet}. All three parts share the
 * label vocabulary of the set they came from, so label indices agree between them.
 *
 * @param train      the training part
 * @param validation the validation part (may be empty)
 * @param test       the test part (may be empty)
 */
public record Splits(LabelledTextSet train, LabelledTextSet validation, LabelledTextSet test) {

  /** Checks that no part is null. */
  public Splits {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(validation, "validation");
    Objects.requireNonNull(test, "test");
  }
}
