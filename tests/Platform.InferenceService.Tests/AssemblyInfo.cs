// A native crash ("double free or corruption") has been seen in this test host, rarely and only
// while several test classes drove separate engines at once; its cause is not found yet (see
// docs/serving.md, "Known issues"). Until it is, the classes here run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
