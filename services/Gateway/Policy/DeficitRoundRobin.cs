namespace Platform.Services.Gateway.Policy;

/// <summary>
/// Weighted deficit round robin over per-tenant FIFO queues (Shreedhar and Varghese). Every request
/// costs 1, so a tenant of weight w is served w requests per round while it has any waiting: one
/// tenant's flood waits behind everybody else's turn instead of in front of it.
/// </summary>
public sealed class DeficitRoundRobin<T> where T : class
{
    private readonly Dictionary<Guid, Flow> _flows = [];
    private readonly LinkedList<Flow> _active = new();

    public int Count { get; private set; }

    public void Enqueue(Guid tenant, int weight, T item)
    {
        if (!_flows.TryGetValue(tenant, out var flow))
        {
            _flows[tenant] = flow = new Flow(tenant);
        }
        flow.Weight = Math.Max(1, weight);
        flow.Items.AddLast(item);
        if (flow.Node is null)
        {
            flow.Node = _active.AddLast(flow);
        }
        Count++;
    }

    /// <summary>The next item in DRR order, removed from its queue.</summary>
    public bool TryDequeue(out T? item)
    {
        while (_active.First is { } node)
        {
            var flow = node.Value;
            if (flow.Deficit < 1)
            {
                flow.Deficit += flow.Weight;
            }
            if (flow.Items.First is { } first)
            {
                item = first.Value;
                flow.Items.RemoveFirst();
                flow.Deficit--;
                Count--;
                if (flow.Items.Count == 0)
                {
                    Deactivate(flow);
                }
                else if (flow.Deficit < 1)
                {
                    _active.Remove(node);
                    _active.AddLast(node);
                }
                return true;
            }
            Deactivate(flow);
        }
        item = null;
        return false;
    }

    /// <summary>Puts an item back at the head of its tenant's queue and refunds its turn (the pool had no room after all).</summary>
    public void ReturnToFront(Guid tenant, int weight, T item)
    {
        if (!_flows.TryGetValue(tenant, out var flow))
        {
            _flows[tenant] = flow = new Flow(tenant);
        }
        flow.Weight = Math.Max(1, weight);
        flow.Items.AddFirst(item);
        flow.Deficit++;
        if (flow.Node is null)
        {
            flow.Node = _active.AddFirst(flow);
        }
        else
        {
            _active.Remove(flow.Node);
            _active.AddFirst(flow.Node);
        }
        Count++;
    }

    /// <summary>Removes an item that gave up (deadline, client gone); false when it was already dequeued.</summary>
    public bool Remove(Guid tenant, T item)
    {
        if (!_flows.TryGetValue(tenant, out var flow) || !flow.Items.Remove(item))
        {
            return false;
        }
        Count--;
        if (flow.Items.Count == 0)
        {
            Deactivate(flow);
        }
        return true;
    }

    private void Deactivate(Flow flow)
    {
        if (flow.Node is not null)
        {
            _active.Remove(flow.Node);
            flow.Node = null;
        }
        flow.Deficit = 0;
        _flows.Remove(flow.Tenant);
    }

    private sealed class Flow(Guid tenant)
    {
        public Guid Tenant { get; } = tenant;
        public int Weight { get; set; } = 1;
        public int Deficit { get; set; }
        public LinkedList<T> Items { get; } = new();
        public LinkedListNode<Flow>? Node { get; set; }
    }
}
