"""Tests of hotline.triage."""
