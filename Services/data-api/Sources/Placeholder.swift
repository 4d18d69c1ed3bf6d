import Shared; import CLibPQ; import CHiredis
