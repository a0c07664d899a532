package org.fallow.cli.chart;

/** Something that happened during a run, drawn as a labelled vertical marker on the chart. */
public record DemoEvent(long timeMillis, String label) { }
