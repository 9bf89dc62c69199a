/** Results of benchmark runs and how they are written: JSON, a Markdown table and PNG charts. */
package org.peft4j.benchmarks.report;
