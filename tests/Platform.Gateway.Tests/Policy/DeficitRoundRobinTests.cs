using Platform.Services.Gateway.Policy;

namespace Platform.Gateway.Tests.Policy;

public sealed class DeficitRoundRobinTests
{
    private static readonly Guid Noisy = Guid.NewGuid();
    private static readonly Guid Quiet = Guid.NewGuid();
    private static readonly Guid Paid = Guid.NewGuid();

    private static List<string> Drain(DeficitRoundRobin<string> queue)
    {
        var order = new List<string>();
        while (queue.TryDequeue(out var item))
        {
            order.Add(item!);
        }
        return order;
    }

    [Fact]
    public void A_flood_from_one_tenant_alternates_with_the_others()
    {
        var queue = new DeficitRoundRobin<string>();
        for (var i = 0; i < 5; i++)
        {
            queue.Enqueue(Noisy, 1, "n" + i);
        }
        queue.Enqueue(Quiet, 1, "q0");
        queue.Enqueue(Quiet, 1, "q1");
        Assert.Equal(["n0", "q0", "n1", "q1", "n2", "n3", "n4"], Drain(queue));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Weights_give_proportional_turns()
    {
        var queue = new DeficitRoundRobin<string>();
        for (var i = 0; i < 4; i++)
        {
            queue.Enqueue(Paid, 2, "p" + i);
            queue.Enqueue(Quiet, 1, "q" + i);
        }
        Assert.Equal(["p0", "p1", "q0", "p2", "p3", "q1", "q2", "q3"], Drain(queue));
    }

    [Fact]
    public void A_returned_item_keeps_its_turn_and_a_removed_one_is_gone()
    {
        var queue = new DeficitRoundRobin<string>();
        queue.Enqueue(Noisy, 1, "n0");
        queue.Enqueue(Noisy, 1, "n1");
        queue.Enqueue(Quiet, 1, "q0");
        Assert.True(queue.TryDequeue(out var first));
        queue.ReturnToFront(Noisy, 1, first!);
        Assert.True(queue.Remove(Noisy, "n1"));
        Assert.False(queue.Remove(Noisy, "n1"));
        Assert.Equal(["n0", "q0"], Drain(queue));
    }
}
