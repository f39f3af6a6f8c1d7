from messaging.channels.whatsapp.simulator.server import main

# Guarded: tools that import every module of the project (tests walking the packages) must not
# start a server by importing this one.
if __name__ == "__main__":
    main()
