using Platform.Inference.Serving;

namespace Platform.Inference.Tests.Serving;

public sealed class StepPhasesTests
{
    [Fact]
    public void A_window_is_the_difference_of_two_sums_given_per_forward()
    {
        var before = new StepPhases { Forwards = 10, PrepareSeconds = 0.01, ForwardSeconds = 0.5, DeviceWaitSeconds = 0.02, SampleSeconds = 0.03 };
        var after = new StepPhases { Forwards = 14, PrepareSeconds = 0.014, ForwardSeconds = 0.9, DeviceWaitSeconds = 0.06, SampleSeconds = 0.035 };

        var perForward = after.Since(before).MillisecondsPerForward();

        Assert.Equal(1.0, perForward["prepare"], 6);
        Assert.Equal(100.0, perForward["forward"], 6);
        Assert.Equal(10.0, perForward["device_wait"], 6);
        Assert.Equal(1.25, perForward["sample"], 6);
    }

    [Fact]
    public void No_forwards_give_zeros_not_a_division_by_zero() =>
        Assert.All(new StepPhases().MillisecondsPerForward().Values, v => Assert.Equal(0, v));
}
