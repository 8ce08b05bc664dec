using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Platform.Inference;

/// <summary>
/// Makes TorchSharp's native bridge loadable on Debian 12. TorchSharp 0.107's libLibTorchSharp.so
/// was built with GCC 13 and imports one symbol, std::ios_base_library_init()@GLIBCXX_3.4.32, that
/// Debian 12's libstdc++ (GLIBCXX_3.4.30) lacks, so the library fails to load. GCC 13 emits that
/// call where older compilers constructed a static std::ios_base::Init, so the import is rewritten
/// (in the copy in the application folder) to std::ios_base::Init::Init()@GLIBCXX_3.4, which does
/// the same job and ignores its receiver. Nothing is touched when the library loads as shipped.
/// </summary>
public static class TorchRuntime
{
    private const string NewSymbol = "_ZSt21ios_base_library_initv";
    private const string OldSymbol = "_ZNSt8ios_base4InitC1Ev";
    private const string NewVersion = "GLIBCXX_3.4.32";
    private const string OldVersion = "GLIBCXX_3.4";
    private static readonly Lock Gate = new();
    private static bool _done;

#pragma warning disable CA2255 // must run before any TorchSharp call made through this assembly
    [ModuleInitializer]
    internal static void Initialize() => EnsureLoadable();
#pragma warning restore CA2255

    /// <summary>Patches the application's copy of libLibTorchSharp.so once, if (and only if) it cannot load as is.</summary>
    public static void EnsureLoadable()
    {
        lock (Gate)
        {
            PreferPassiveOpenMpWaits();
            if (_done || !RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            {
                _done = true;
                return;
            }
            _done = true;
            foreach (var path in new[]
            {
                Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"),
                Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"),
            })
            {
                // Decide from the files, never by trying to load: a failed load would leave
                // TorchSharp's native bridge unusable in this process.
                if (File.Exists(path) && SystemLibStdCxxLacks(NewVersion))
                {
                    TryPatch(path);
                }
            }
        }
    }

    /// <summary>
    /// Sets OMP_WAIT_POLICY=PASSIVE for this process unless it is set already, before LibTorch (and its
    /// OpenMP runtime, which reads the variable when it loads) is loaded. By default OpenMP threads spin
    /// after every parallel region; on a 2-core machine they then take the cores from the threads that
    /// run next — the engine's own kernels (<see cref="Kernels.CpuGemv"/>), the serving loop and ASP.NET.
    /// Measured on dev-2c: batch-1 decode 36 → 75 tok/s with the kernel, and 32-stream serving 217 → 371
    /// tok/s (docs/performance.md). .NET's Environment.SetEnvironmentVariable does not reach native code
    /// on Unix, hence libc's setenv.
    /// </summary>
    private static void PreferPassiveOpenMpWaits()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is not null)
        {
            return;
        }
        if (SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0)
        {
            Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", "PASSIVE");
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPStr)] string name, [MarshalAs(UnmanagedType.LPStr)] string value, int overwrite);

    private static readonly string[] LibStdCxxPaths =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    ];

    /// <summary>True when the system's libstdc++ is found and does not define symbol version <paramref name="version"/>.</summary>
    internal static bool SystemLibStdCxxLacks(string version)
    {
        var library = LibStdCxxPaths.FirstOrDefault(File.Exists);
        if (library is null)
        {
            return false;
        }
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        return File.ReadAllBytes(library).AsSpan().IndexOf(needle) < 0;
    }

    private static void TryPatch(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (!Patch(bytes))
            {
                return;
            }
            var temp = path + $".{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            // Read-only install: TorchSharp reports the original load error.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Rewrites the GLIBCXX_3.4.32 import in an ELF64 image; false when it has none.</summary>
    internal static bool Patch(byte[] image)
    {
        if (image.Length < 64 || BinaryPrimitives.ReadUInt32BigEndian(image) != 0x7F454C46 || image[4] != 2)
        {
            return false;
        }
        var sectionOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(0x28));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(0x3A));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(0x3C));
        long dynsym = -1, dynsymSize = 0, dynstr = -1, versionR = -1;
        for (var i = 0; i < count; i++)
        {
            var header = image.AsSpan((int)(sectionOffset + i * entrySize));
            var type = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]);
            var size = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[32..]);
            switch (type)
            {
                case 11: // SHT_DYNSYM; its sh_link names the string table
                    dynsym = offset;
                    dynsymSize = size;
                    var link = BinaryPrimitives.ReadUInt32LittleEndian(header[40..]);
                    dynstr = (long)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan((int)(sectionOffset + link * entrySize + 24)));
                    break;
                case 0x6ffffffe: // SHT_GNU_verneed
                    versionR = offset;
                    break;
            }
        }
        if (dynsym < 0 || dynstr < 0 || versionR < 0)
        {
            return false;
        }
        var patched = false;
        for (long s = dynsym; s < dynsym + dynsymSize; s += 24)
        {
            var name = dynstr + BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)s));
            if (ReadString(image, name) == NewSymbol)
            {
                WriteString(image, name, OldSymbol, NewSymbol.Length);
                patched = true;
            }
        }
        for (var need = versionR; ;)
        {
            int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan((int)need + 2));
            var aux = need + BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)need + 8));
            for (var a = 0; a < auxCount; a++)
            {
                var name = dynstr + BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)aux + 8));
                if (ReadString(image, name) == NewVersion)
                {
                    WriteString(image, name, OldVersion, NewVersion.Length);
                    BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan((int)aux), ElfHash(OldVersion));
                    patched = true;
                }
                aux += BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)aux + 12));
            }
            var next = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)need + 12));
            if (next == 0)
            {
                break;
            }
            need += next;
        }
        return patched;
    }

    private static string ReadString(byte[] image, long offset)
    {
        var end = Array.IndexOf(image, (byte)0, (int)offset);
        return Encoding.ASCII.GetString(image, (int)offset, end - (int)offset);
    }

    private static void WriteString(byte[] image, long offset, string value, int oldLength)
    {
        var span = image.AsSpan((int)offset, oldLength);
        span.Clear();
        Encoding.ASCII.GetBytes(value, span);
    }

    private static uint ElfHash(string name)
    {
        uint h = 0;
        foreach (var c in Encoding.ASCII.GetBytes(name))
        {
            h = (h << 4) + c;
            var g = h & 0xf0000000;
            if (g != 0)
            {
                h ^= g >> 24;
            }
            h &= ~g;
        }
        return h;
    }
}
