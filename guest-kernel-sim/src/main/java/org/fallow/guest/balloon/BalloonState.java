package org.fallow.guest.balloon;

/** Outcome of one balloon worker pass (balloon.c's enum bp_state). */
public enum BalloonState { DONE, EAGAIN, ECANCELED }
