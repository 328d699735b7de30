import { Layer, TestClock } from "effect"
import * as MemoryStore from "../src/MemoryStore.js"
import { storeContract, StoreTestKit } from "./utils/storeContract.js"

storeContract("MemoryStore", {
  makeLayer: (config) =>
    Layer.provideMerge(Layer.effect(StoreTestKit, MemoryStore.TestKit), MemoryStore.layerWith(config)),
  advanceTime: (millis) => TestClock.adjust(millis),
  live: false
})

